"""The sandbox BHXH gateway: a real HTTP server (Flask on waitress) that speaks the gateway's
protocol — token, card check, visit history, check-in and claim submission, plus a QĐ 1332-shaped
health-book source — over deterministic synthetic patients, with fault injection for tests."""
