"""The test suite: one module per code module, goldens over fixtures/, properties over the registry."""
