"""One-off measurements that inform design choices; each script writes its own results/ file."""
