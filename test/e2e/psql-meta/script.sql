-- psql meta-commands against a small schema; expected.out is what psql 15 prints against PostgreSQL 15
-- (regenerate with test/e2e/regenerate-expected.sh psql-meta).
create table customers (id int primary key, name varchar(40) not null, balance numeric(12,2) default 0, code char(3), joined date default '2020-01-01', seen timestamp);
create table orders (order_id bigint primary key, customer_id int not null, amount numeric(10,2), note text default 'none', placed timestamp not null default '2024-01-01 00:00:00');
create table line_items (order_id bigint, line smallint, qty int default -1, price numeric, ratio real, weight double precision default 1.5, shipped boolean default false, "Mixed Case" text, primary key (order_id, line));
create table tags (tag text, flag boolean, stamp timestamptz default now(), span interval);
create table defaults_demo (a int default -1, b numeric(10,2) default 1.50, c int default '5', d numeric default -1.5, e float8 default 2, f bigint default 7, g varchar(5) default 'ab', h char(2) default 'x', i text default 'it''s', j boolean default true, k timestamp default now(), l date default current_date, m timestamptz default current_timestamp, n numeric(5,1) default '3', o smallint default 1, p real default 1e3, q bigint default 12345678901, r date default '2024-2-3', s text default null, t bool default 'yes');
create view big_orders as select order_id, amount from orders where amount > 100;
create view order_summary as select o.customer_id, count(*) as n, sum(o.amount) total from orders o join customers c on c.id = o.customer_id where c.name = 'bob' or o.note <> 'none' group by o.customer_id having count(*) > 1 order by o.customer_id desc limit 5;
create table arrays_demo (id int, nums int[], names text[] not null, codes varchar(5)[], grid integer ARRAY, prices numeric(8,2)[], stamps timestamptz[]);
\dt
\d
\dv
\dn
\du
\dp customers
\dd
\dD
\df
\l postgres
\d customers
\d orders
\d line_items
\d tags
\d big_orders
\d defaults_demo
\d nosuchtable
\d+ customers
\d+ line_items
\dt line*
\di
\d line_items_pkey
\d+ customers_pkey
\x
\d customers
select relname, relkind from pg_class where relname = 'orders';
\x
\timing on
select count(*) from pg_catalog.pg_class c where c.relname ~ '^(customers|orders)$';
\timing off
\d+ big_orders
\d+ order_summary
\d arrays_demo
