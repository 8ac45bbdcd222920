"""The demo tenant Parcelo: its made-up services and data."""
