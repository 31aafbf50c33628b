// GitBridge
