"""Database work per area. Services own their commits; views and CLI commands call one service each."""
