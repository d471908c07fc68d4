"""The audit log (审计日志): who did what to which object, from where, and why."""
