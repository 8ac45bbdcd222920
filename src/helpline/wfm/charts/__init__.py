"""Charts for WFM (forecast, staffing, schedule), free of the CLI so web pages can reuse them.

Each function takes plain data and a path ending in .svg or .png and writes the picture.
"""
