"""The analysis layer: reading results and drawing conclusions, on top of the model and
the experiments.

transitions (stage-transition diagnostics from the tidy tables), plots (every figure, a
function of tidy tables), report/ (self-contained HTML reports of run and sweep
folders). See docs/architecture.md.
"""
