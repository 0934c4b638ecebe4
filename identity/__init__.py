"""The sign-in layer (đăng nhập, xác thực người dùng): legisflow's own accounts, sessions, and
the key that signs each decision's proof of authorship (``models/authorship.py``).

It runs where people sign in (the CLI on an official's machine in development, the web app in
production), never in a worker: workers and cases hold only its public key.
"""
