//! Sources, sinks and payload mappers (json, csv, log …) for Sluice.
