"""Operations: health, metrics, request logs, backup and restore, retention."""
