create table city (id int primary key, name varchar(20) not null, country char(2), population int8, area numeric(8,1));
insert into city values (1, 'Lyon', 'FR', 522250, 47.9), (2, 'Porto', 'PT', 231800, 41.4), (3, 'Graz', 'AT', 291134, 127.6);
select name, country, population, round(population / area, 2) as density from city order by density desc;
update city set population = population + 1000 where country = 'FR';
select count(*), sum(population), avg(area) from city;
\copy city to stdout with (format csv, header)
begin;
delete from city where id = 2;
select count(*) from city;
rollback;
select count(*) from city;
select * from city where zzzzzzzz = 1;
select 'still alive' as status;
