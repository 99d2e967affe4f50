"""The model layer: the simulation itself, importing nothing above it.

columns and rng (storage and common random numbers), formulas (helpers shared by the
agent kinds), params (the typed parameter set), world and world_data (building the
world from its data), services, agents/ (one module per agent kind), levers (policies
and events), framework (the Stage-Model-Openness classification), indicators, and
egov_model (the Mesa model class). See docs/architecture.md.
"""
