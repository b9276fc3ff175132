"""Inter-coder agreement. The statistics, each family in a module of its own and all importable
from `stats` (the public face, with dispatch by name): `kappa` (percent agreement, Cohen, Scott,
Fleiss, AC1/AC2, Brennan–Prediger), `alpha` (Krippendorff's alpha at every level, and unitizing),
`bootstrap` (alpha's interval), `batch` (many present/absent codes at once), on `results` and
`encoding`. Around them: unit × coder matrices from codings (`units`), what was compared and the
per-code lead, pooled caution and kappa-paradox rule (`summary`), the per-code report and
exports (`report`), the methods paragraph (`methods`), reliability tables read from files
(`reliability_data`) and adjudication into the consensus coder (`adjudication`)."""
