# Set-up is part of every target: `make demo` and `make test` work on a fresh
# machine with Python 3 (uv is bootstrapped into .tools/ when missing).
UV := $(shell uv --version >/dev/null 2>&1 && echo uv || echo .tools/bin/uv)
# Every extra (Core ML, the CLI's demo data and table, plots, Kubeflow).
UV_RUN := $(UV) run --locked --all-extras

.PHONY: demo test test-fast lock clean

demo: $(UV)
	$(UV_RUN) tfx-compression demo

# Two test processes; a module's tests stay in one (they share its fixtures).
test: $(UV)
	$(UV_RUN) pytest -n 2 --dist loadscope

# Everything except the end-to-end pipeline tests.
test-fast: $(UV)
	$(UV_RUN) pytest -n 2 --dist loadscope -m "not e2e"

lock: $(UV)
	$(UV) lock

.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/python -m pip install --quiet "uv>=0.5,<1"

uv:
	@true

clean:
	rm -rf .tools .venv demo_output build dist *.egg-info
