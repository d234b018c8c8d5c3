"""What the suite's tests use to check a target: the client, walks, strategies, data set, account-wide decisions."""
