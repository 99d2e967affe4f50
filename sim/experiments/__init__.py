"""The experiments layer: what to run and how, on top of the model (and of nothing else).

scenario (scenario files: YAML, `extends`, validation), experiment (experiment files:
scenarios x seeds x design points, outcomes), runs (one run, and `evaluate`), executors
(serial, local processes, Dask), store (a sweep's folder), sweeps (running them all,
resumably), results (a single run's folder), summary (paired differences and
sensitivity indices). Shipped scenario and experiment files are package data in
sim/data/. See docs/architecture.md.
"""
