"""Audio assets for calls: prompts loaded or rendered by text-to-speech, music on hold; all
as 8 kHz µ-law bytes, the form the media edge sends without further work."""
