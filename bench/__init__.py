"""The project's own benchmark of the budgets in DESIGN.md section 9: `make bench` or `python -m bench`.

Every figure is read against a baseline measured in the same run (a bare Flask INSERT endpoint, the floor
of a query, an empty chart, an idle process), because the machine is shared and absolute numbers move.
Benchmarks are not tests: nothing here asserts a time."""
