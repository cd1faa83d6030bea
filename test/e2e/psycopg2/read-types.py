# Reads every supported type through psycopg2 (libpq, a non-Node driver): a table is filled with
# client-side parameters (%s), queried with a parameter in WHERE, and each value is printed as
# "<column>: <python type> <repr>" for the mocha test (test/e2e/psycopg2.test.ts) to check.
import datetime
import decimal
import sys
import uuid

import psycopg2
import psycopg2.extras

port = int(sys.argv[1])
psycopg2.extras.register_uuid()
conn = psycopg2.connect(host='127.0.0.1', port=port, user='postgres', dbname='postgres')
cur = conn.cursor()
cur.execute(
    'create table py (i2 int2, i4 int4, i8 int8, f4 float4, f8 float8, n numeric(12,3), b bool, t text,'
    ' v varchar(10), c char(4), d date, ts timestamp, tz timestamptz, iv interval, by bytea, u uuid, j json, jb jsonb)'
)
cur.execute(
    'insert into py values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)',
    (
        -7, 2147483647, 9007199254740991, 1.5, -2.25e-10, decimal.Decimal('-12345.678'), True, "it's héllo",
        'var', 'ch', datetime.date(2024, 2, 29), datetime.datetime(1999, 12, 31, 23, 59, 59, 500000),
        datetime.datetime(2024, 1, 1, 12, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=2))),
        datetime.timedelta(days=3, hours=4, minutes=5, seconds=6, microseconds=700000),
        psycopg2.Binary(b'\x00\xffA\\'), uuid.UUID('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'),
        psycopg2.extras.Json({'b': 1, 'a': [1, 2]}), psycopg2.extras.Json({'b': 1, 'a': [1, 2.5]}),
    ),
)
cur.execute('insert into py (i4, t) values (%s, %s)', (1, None))
conn.commit()
cur.execute('select * from py where i4 = %s and t like %s', (2147483647, 'it%'))
row = cur.fetchone()
for col, value in zip([d.name for d in cur.description], row):
    if isinstance(value, memoryview):
        value = bytes(value)
    print('%s: %s %r' % (col, type(value).__name__, value))
cur.execute('select count(*), count(t) from py where t is null or i4 = %(k)s', {'k': 2147483647})
print('counts: %r' % (cur.fetchone(),))
cur.execute("select jb -> 'a' ->> 1, j ->> 'b', u = %s from py where u is not null", (uuid.UUID('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'),))
print('json ops: %r' % (cur.fetchone(),))
conn.close()
