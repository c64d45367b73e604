// KoineGame: arrives with its issue.
