"""Maintenance code of the repository: not for learners (that is `helpers`), not tests.

    tools.project   facts about the repository (root, notebooks, pins, limits) and the small
                    process utilities the tests and benchmarks share (run a snippet under a
                    backend, find an installed tool, start and stop a local server)
    tools.harness   per-user folders isolated into a temporary folder, and `make execute`
                    (`python -m tools.harness execute NOTEBOOK...`)

The tests (`tests/`), the benchmarks (`benchmarks/`) and `make execute` import from here; nothing
here imports from `tests/` or `benchmarks/`. Run it from the repository root (as `make` does), so
that `python -m tools.harness` and `python -m benchmarks.run_notebooks` find the package.
"""
