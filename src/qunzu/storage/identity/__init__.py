"""The SQL of the identity flows (Art. 6), one module per table.

Each function takes the connection and plain values and returns rows or plain values; the rules, the encryption and
the records of the flows live in `services/identity/`, which holds no SQL of its own.
"""
