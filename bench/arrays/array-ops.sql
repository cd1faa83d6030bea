-- Array operators over 200k rows (run with: psql -X -h <host> -p <port> -U postgres -f bench/arrays/array-ops.sql).
drop table if exists big;
create table big (id int, a int[], t text[]);
insert into big select i, ARRAY[i % 100, i % 7, i % 1000], ARRAY['k' || (i % 50)::text, 'x'] from generate_series(1, 200000) i;
\timing on
select count(*) from big where 5 = any(a);
select count(*) from big where 5 = any(a);
select count(*) from big where a @> '{5}';
select count(*) from big where a @> '{5}';
select sum(a[1]) from big;
select sum(a[1]) from big;
select count(*) from (select a from big group by a) s;
select count(*) from (select a from big group by a) s;
select max(a) from big;
select sum(cardinality(a)) from big;
\timing off
