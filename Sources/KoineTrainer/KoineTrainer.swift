// KoineTrainer: arrives with its issue.
