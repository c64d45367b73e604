// KoineCluster: arrives with its issue.
