# Drives psql through a pseudo-terminal so its readline tab completion runs (psql completes only
# when interactive): types each line of keystrokes (\t = Tab, \x15 = Ctrl-U clears the line) and
# prints everything psql echoed. Usage: python3 drive-psql.py <port> <keystrokes…>
import os, pty, sys, time, select
port = sys.argv[1]
host = '127.0.0.1'
pid, fd = pty.fork()
if pid == 0:
    os.execvp('psql', ['psql', '-X', '-h', host, '-p', port, '-U', 'postgres'])
out = b''
def read(t=1.0):
    global out
    end = time.time() + t
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                out += os.read(fd, 65536)
            except OSError:
                return
read(2)
for line in sys.argv[2:]:
    os.write(fd, line.encode())
    read(1.0)
    os.write(fd, b'\x15')
    read(0.3)
os.write(fd, b"\\q\n"); read(1)
sys.stdout.write(out.decode(errors='replace'))
