"""The pytest plugin: hooks, options, the recorder, progress, workers, shards, the quiet lock."""
