"""Voice: the call controller that runs a call from the IVR through the queue to an agent, the
dialed numbers that pick a tenant's flow, and call detail records."""
