"""RTP (RFC 3550), G.711 and RFC 4733 telephone events: pure, no I/O."""
