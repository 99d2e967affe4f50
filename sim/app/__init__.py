"""The interactive teaching page (`egov app`), on the same layer as the command line.

session (settings, the model the page steps and its ghost; no web code), views (the
live figures as PNG), page (the Solara page around Mesa's SolaraViz), server (serving
it offline), speed (the headless steps-per-second measurement). See docs/architecture.md.
"""
