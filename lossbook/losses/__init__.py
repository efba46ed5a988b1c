"""Loss functions, one module per family of the catalog (listed once, in
:data:`lossbook.registry.FAMILY_MODULES`)."""
