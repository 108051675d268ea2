"""The relay: one reply's model events in, paced page writes out."""
