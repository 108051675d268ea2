"""The HTTP front: metrics, a health check, a streaming chat API and a live web view."""
