"""The Discord front: client, sinks, message layout and splitting, rate-limit monitor."""
