"""The case lifecycle: intake, the closed loop, deadlines, history, tasks."""
