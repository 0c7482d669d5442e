"""Operating Croupier: backups and point-in-time recovery, and the drills that prove each promise."""
