//! Values, expression evaluation and the dataflow that runs Sluice apps.
