-- Q20 with its correlated scalar subquery rewritten by hand as a join with the per-(part, supplier)
-- sums: the same answer (a pair with no qualifying lineitem makes the original's comparison NULL,
-- and the join drops it likewise). Used only to obtain PostgreSQL's reference answer where
-- PostgreSQL cannot finish the original in reasonable time.
select
	s_name,
	s_address
from
	supplier,
	nation
where
	s_suppkey in (
		select
			ps_suppkey
		from
			partsupp,
			(
				select
					l_partkey as agg_partkey,
					l_suppkey as agg_suppkey,
					0.5 * sum(l_quantity) as agg_quantity
				from
					lineitem
				where
					l_shipdate >= date '1994-01-01'
					and l_shipdate < date '1994-01-01' + interval '1' year
				group by
					l_partkey,
					l_suppkey
			) agg_lineitem
		where
			agg_partkey = ps_partkey
			and agg_suppkey = ps_suppkey
			and ps_partkey in (
				select
					p_partkey
				from
					part
				where
					p_name like 'forest%'
			)
			and ps_availqty > agg_quantity
	)
	and s_nationkey = n_nationkey
	and n_name = 'CANADA'
order by
	s_name;
