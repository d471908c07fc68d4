"""The command center's wall screen (大屏, ``/screen/``) and its JSON."""
