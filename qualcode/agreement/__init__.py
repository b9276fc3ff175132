"""Inter-coder agreement: the statistics (`stats`), unit × coder matrices from codings
(`units`), the per-code report and methods paragraph (`report`), reliability tables read from
files (`reliability_data`) and adjudication into the consensus coder (`adjudication`)."""
