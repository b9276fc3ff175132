"""People working on a project: who may do what (`access`, the one write gate and the one
blind-coding rule), accounts and login sessions (`accounts`), the append-only change log
(`changelog`) and whole-database backups (`backup`)."""
