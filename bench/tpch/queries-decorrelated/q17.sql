-- Q17 with its correlated subquery rewritten by hand as a join with the per-part average: the
-- same answer (the subquery's l_partkey = p_partkey = the outer l_partkey). Used only to obtain
-- PostgreSQL's reference answer where PostgreSQL cannot finish the original (it re-runs the
-- subquery per part row; over 10 minutes at SF 1).
select
	sum(l_extendedprice) / 7.0 as avg_yearly
from
	lineitem,
	part,
	(
		select
			l_partkey as agg_partkey,
			0.2 * avg(l_quantity) as avg_quantity
		from
			lineitem
		group by
			l_partkey
	) part_agg
where
	p_partkey = l_partkey
	and agg_partkey = l_partkey
	and p_brand = 'Brand#23'
	and p_container = 'MED BOX'
	and l_quantity < avg_quantity;
