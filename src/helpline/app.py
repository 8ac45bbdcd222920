"""The composition root: builds settings, storage, runtime, edges and routes, and wires them."""
