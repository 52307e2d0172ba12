"""Use cases: one public function per user-visible action, one transaction each."""
