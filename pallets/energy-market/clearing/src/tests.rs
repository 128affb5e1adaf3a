#![allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]
use super::*;
use proptest::prelude::*;

const A: u32 = 1;
const B: u32 = 2;
const C: u32 = 3;

fn resting(id: OrderId, owner: u32, zone: Zone, price: Money, qty: Wh) -> RestingOrder<u32> {
	RestingOrder { id, owner, zone, price, remaining_wh: qty, max_fee: 0 }
}

fn bid(id: OrderId, owner: u32, zone: Zone, price: Money, qty: Wh, max_fee: Money) -> RestingOrder<u32> {
	RestingOrder { id, owner, zone, price, remaining_wh: qty, max_fee }
}

fn buy(owner: u32, zone: Zone, price: Money, qty: Wh, max_fee: Money) -> Incoming<u32> {
	Incoming { owner, side: Side::Buy, zone, price, quantity_wh: qty, max_fee }
}

fn sell(owner: u32, zone: Zone, price: Money, qty: Wh) -> Incoming<u32> {
	Incoming { owner, side: Side::Sell, zone, price, quantity_wh: qty, max_fee: 0 }
}

/// Zone 0 ↔ 0 and 1 ↔ 1 free and unlimited; 0 → 1 and 1 → 0: fee 5, capacity 100 Wh.
fn two_zones(from: Zone, to: Zone) -> Option<Route> {
	match (from, to) {
		(f, t) if f == t && f < 2 => Some(Route { fee_per_kwh: 0, available_wh: None }),
		(0, 1) | (1, 0) => Some(Route { fee_per_kwh: 5, available_wh: Some(100) }),
		_ => None,
	}
}

#[test]
fn value_of_floors_and_checks_overflow() {
	assert_eq!(value_of(1500, 100), Some(150));
	assert_eq!(value_of(1, 999), Some(0));
	assert_eq!(value_of(3, 1000), Some(3));
	assert_eq!(value_of(u64::MAX, u128::MAX), None);
}

#[test]
fn buy_takes_cheapest_asks_first_at_their_price() {
	let asks = [resting(1, A, 0, 10, 100), resting(2, B, 0, 12, 100), resting(3, C, 0, 20, 100)];
	let out = match_incoming(&buy(9, 0, 15, 150, 0), &asks, 16, two_zones).unwrap();
	assert_eq!(out.remaining_wh, 0);
	assert_eq!(out.fills.len(), 2);
	assert_eq!((out.fills[0].resting_id, out.fills[0].quantity_wh, out.fills[0].price), (1, 100, 10));
	assert_eq!((out.fills[1].resting_id, out.fills[1].quantity_wh, out.fills[1].price), (2, 50, 12));
}

#[test]
fn equal_prices_fill_in_time_order() {
	let bids = [bid(4, A, 0, 30, 10, 0), bid(7, B, 0, 30, 10, 0), bid(9, C, 0, 25, 10, 0)];
	let out = match_incoming(&sell(9, 0, 20, 15), &bids, 16, two_zones).unwrap();
	let ids: Vec<_> = out.fills.iter().map(|f| (f.resting_id, f.quantity_wh, f.price)).collect();
	assert_eq!(ids, vec![(4, 10, 30), (7, 5, 30)]);
}

#[test]
fn non_crossing_order_rests_whole() {
	let asks = [resting(1, A, 0, 50, 100)];
	let out = match_incoming(&buy(9, 0, 49, 10, 0), &asks, 16, two_zones).unwrap();
	assert!(out.fills.is_empty());
	assert_eq!(out.remaining_wh, 10);
}

#[test]
fn max_fills_leaves_the_rest_and_says_it_was_truncated() {
	let asks: Vec<_> = (0..10).map(|i| resting(i, 100 + i as u32, 0, 10, 1)).collect();
	let out = match_incoming(&buy(9, 0, 10, 10, 0), &asks, 3, two_zones).unwrap();
	assert_eq!(out.fills.len(), 3);
	assert_eq!(out.remaining_wh, 7);
	assert!(out.truncated);
	// Exactly three eligible asks: not truncated.
	let out = match_incoming(&buy(9, 0, 10, 10, 0), &asks[..3], 3, two_zones).unwrap();
	assert_eq!((out.fills.len(), out.remaining_wh, out.truncated), (3, 7, false));
}

#[test]
fn fills_use_route_capacity_in_whole_lots_only() {
	// 100 Wh of capacity from zone 1 to zone 0, lots of 30 Wh: 90 Wh cross, then zone 0's ask.
	let asks = [resting(1, A, 1, 10, 300), resting(2, B, 0, 20, 300)];
	let out = match_in_lots(&buy(9, 0, 20, 150, 5), &asks, 16, 30, two_zones).unwrap();
	let fills: Vec<_> = out.fills.iter().map(|f| (f.resting_id, f.quantity_wh)).collect();
	assert_eq!(fills, vec![(1, 90), (2, 60)]);
	assert_eq!(out.remaining_wh, 0);
	// Less than a lot of capacity left is no route at all.
	let out = match_in_lots(&buy(9, 0, 20, 202, 5), &asks, 16, 101, two_zones).unwrap();
	let fills: Vec<_> = out.fills.iter().map(|f| (f.resting_id, f.quantity_wh)).collect();
	assert_eq!(fills, vec![(2, 202)]);
}

#[test]
fn self_trade_is_rejected_but_non_crossing_own_orders_are_fine() {
	let asks = [resting(1, B, 0, 10, 5), resting(2, A, 0, 11, 5)];
	assert_eq!(
		match_incoming(&buy(A, 0, 11, 10, 0), &asks, 16, two_zones),
		Err(MatchError::SelfTrade { resting_id: 2 })
	);
	// A's ask at 11 does not cross a bid at 10.
	let out = match_incoming(&buy(A, 0, 10, 10, 0), &asks, 16, two_zones).unwrap();
	assert_eq!(out.fills.len(), 1);
}

#[test]
fn cross_zone_needs_route_fee_budget_and_capacity() {
	let asks = [resting(1, A, 1, 10, 500)];
	// No fee reserved: the 0 → 1... here 1 → 0 route costs 5 > 0.
	let out = match_incoming(&buy(9, 0, 10, 200, 0), &asks, 16, two_zones).unwrap();
	assert!(out.fills.is_empty());
	// Fee reserved: capacity 100 Wh caps the fill.
	let out = match_incoming(&buy(9, 0, 10, 200, 5), &asks, 16, two_zones).unwrap();
	assert_eq!(out.fills.len(), 1);
	assert_eq!((out.fills[0].quantity_wh, out.fills[0].fee_per_kwh), (100, 5));
	assert_eq!((out.fills[0].seller_zone, out.fills[0].buyer_zone), (1, 0));
	assert_eq!(out.remaining_wh, 100);
	// No route at all from zone 2.
	let asks = [resting(1, A, 2, 1, 500)];
	let out = match_incoming(&buy(9, 0, 10, 200, 100), &asks, 16, two_zones).unwrap();
	assert!(out.fills.is_empty());
}

#[test]
fn capacity_is_shared_by_the_fills_of_one_call() {
	let asks = [resting(1, A, 1, 10, 80), resting(2, B, 1, 10, 80), resting(3, C, 0, 30, 80)];
	let out = match_incoming(&buy(9, 0, 40, 300, 5), &asks, 16, two_zones).unwrap();
	let f: Vec<_> = out.fills.iter().map(|f| (f.resting_id, f.quantity_wh)).collect();
	// Landed 15, 15, 30: 80 + 20 (capacity 100 used up) then the local ask.
	assert_eq!(f, vec![(1, 80), (2, 20), (3, 80)]);
	assert_eq!(out.remaining_wh, 120);
}

#[test]
fn buy_ranks_by_landed_price() {
	// Remote ask 10 + fee 5 = 15 beats local ask 16.
	let asks = [resting(1, A, 1, 10, 50), resting(2, B, 0, 16, 50)];
	let out = match_incoming(&buy(9, 0, 20, 50, 5), &asks, 16, two_zones).unwrap();
	assert_eq!(out.fills[0].resting_id, 1);
	// Local ask 14 beats remote 10 + 5.
	let asks = [resting(1, A, 1, 10, 50), resting(2, B, 0, 14, 50)];
	let out = match_incoming(&buy(9, 0, 20, 50, 5), &asks, 16, two_zones).unwrap();
	assert_eq!(out.fills[0].resting_id, 2);
}

#[test]
fn insertion_keeps_price_time_priority() {
	let mut bids = vec![bid(1, A, 0, 30, 1, 0), bid(2, A, 0, 20, 1, 0)];
	let i = insertion_index(&bids, Side::Buy, 30);
	bids.insert(i, bid(3, B, 0, 30, 1, 0));
	assert_eq!(bids.iter().map(|b| b.id).collect::<Vec<_>>(), vec![1, 3, 2]);
	assert!(is_priority_ordered(&bids, Side::Buy));
	let mut asks = vec![resting(1, A, 0, 10, 1), resting(2, A, 0, 20, 1)];
	let i = insertion_index(&asks, Side::Sell, 10);
	asks.insert(i, resting(3, B, 0, 10, 1));
	assert_eq!(asks.iter().map(|b| b.id).collect::<Vec<_>>(), vec![1, 3, 2]);
	assert!(is_priority_ordered(&asks, Side::Sell));
	assert!(!is_priority_ordered(&asks, Side::Buy));
}

#[test]
fn settle_full_partial_and_no_delivery() {
	let t = TradeTerms::new(2000, 100, 10, 300).unwrap();
	assert_eq!((t.escrow, t.collateral), (220, 600));
	let full = settle(&t, 5000).unwrap();
	assert_eq!((full.delivered_wh, full.to_seller, full.grid_fee, full.buyer_refund), (2000, 200, 20, 0));
	assert_eq!((full.imbalance_charge, full.collateral_refund), (0, 600));
	let half = settle(&t, 1000).unwrap();
	assert_eq!((half.to_seller, half.grid_fee, half.buyer_refund), (100, 10, 110));
	assert_eq!((half.imbalance_charge, half.collateral_refund), (300, 300));
	let none = settle(&t, 0).unwrap();
	assert_eq!((none.to_seller, none.buyer_refund, none.imbalance_charge), (0, 220, 600));
}

#[test]
fn settle_refuses_underfunded_terms() {
	let mut t = TradeTerms::new(2000, 100, 10, 300).unwrap();
	t.escrow = 219;
	assert_eq!(settle(&t, 2000), None);
}

#[test]
fn allocation_serves_trades_in_order() {
	let produced = 150;
	let mut allocated = 0;
	let mut got = vec![];
	for q in [100, 100, 100] {
		let d = allocate(produced, allocated, q);
		allocated += d;
		got.push(d);
	}
	assert_eq!(got, vec![100, 50, 0]);
}

#[test]
fn vwap_of_trades() {
	// 1000 Wh at 10 and 3000 Wh at 20 → 17.5 → 17 (floor).
	assert_eq!(vwap(1000 * 10 + 3000 * 20, 4000), Some(17));
	assert_eq!(vwap(0, 0), None);
}

fn arb_book(side: Side) -> impl Strategy<Value = Vec<RestingOrder<u32>>> {
	prop::collection::vec((1u32..6, 0u16..3, 1u128..50, 1u64..200, 0u128..8), 0..24).prop_map(
		move |v| {
			let mut book: Vec<RestingOrder<u32>> = Vec::new();
			for (i, (owner, zone, price, qty, fee)) in v.into_iter().enumerate() {
				let o = RestingOrder {
					id: i as u64,
					owner,
					zone,
					price,
					remaining_wh: qty,
					max_fee: if side == Side::Buy { fee } else { 0 },
				};
				let at = insertion_index(&book, side, price);
				book.insert(at, o);
			}
			book
		},
	)
}

/// Three zones; intra-zone free; 0 ↔ 1 fee 3 cap 150; 1 ↔ 2 fee 6 cap 60; 0 ↔ 2 no link.
fn three_zones(from: Zone, to: Zone) -> Option<Route> {
	match (from.min(to), from.max(to)) {
		(f, t) if f == t => Some(Route { fee_per_kwh: 0, available_wh: None }),
		(0, 1) => Some(Route { fee_per_kwh: 3, available_wh: Some(150) }),
		(1, 2) => Some(Route { fee_per_kwh: 6, available_wh: Some(60) }),
		_ => None,
	}
}

proptest! {
	#![proptest_config(ProptestConfig::with_cases(512))]

	/// Matching conserves quantity, only fills crossing eligible orders at their price, respects
	/// resting quantities, fill limits and route capacities, and serves priority order.
	#[test]
	fn matching_invariants(
		side in prop_oneof![Just(Side::Buy), Just(Side::Sell)],
		owner in 1u32..8,
		zone in 0u16..3,
		price in 1u128..60,
		qty in 1u64..2000,
		max_fee in 0u128..8,
		max_fills in 1u32..12,
		lot in prop_oneof![Just(1u64), Just(7u64), Just(20u64)],
		book_asks in arb_book(Side::Sell),
		book_bids in arb_book(Side::Buy),
	) {
		// Order quantities in whole lots (as the pallet requires).
		let mut book = if side == Side::Buy { book_asks } else { book_bids };
		for r in &mut book {
			r.remaining_wh *= lot;
		}
		let qty = qty * lot;
		prop_assert!(is_priority_ordered(&book, side.opposite()));
		let inc = Incoming { owner, side, zone, price, quantity_wh: qty, max_fee };
		match match_in_lots(&inc, &book, max_fills, lot, three_zones) {
			Err(MatchError::SelfTrade { resting_id }) => {
				let r = book.iter().find(|r| r.id == resting_id).unwrap();
				prop_assert_eq!(r.owner, owner);
				prop_assert!(crosses(side, price, r.price));
			}
			Ok(out) => {
				let filled: u64 = out.fills.iter().map(|f| f.quantity_wh).sum();
				prop_assert_eq!(filled + out.remaining_wh, qty);
				prop_assert!(out.fills.len() <= max_fills as usize);
				let mut seen = std::collections::BTreeSet::new();
				let mut used = std::collections::BTreeMap::<(Zone, Zone), u64>::new();
				let mut last_key = 0u128;
				for f in &out.fills {
					prop_assert!(seen.insert(f.book_index));
					let r = &book[f.book_index];
					prop_assert_eq!(r.id, f.resting_id);
					prop_assert!(f.quantity_wh > 0 && f.quantity_wh <= r.remaining_wh);
					prop_assert_eq!(f.quantity_wh % lot, 0, "fills are whole lots");
					prop_assert_eq!(f.price, r.price);
					prop_assert!(crosses(side, price, r.price));
					prop_assert!(r.owner != owner);
					let route = three_zones(f.seller_zone, f.buyer_zone).unwrap();
					prop_assert_eq!(route.fee_per_kwh, f.fee_per_kwh);
					let buyer_fee = if side == Side::Buy { max_fee } else { r.max_fee };
					prop_assert!(f.fee_per_kwh <= buyer_fee);
					if let Some(cap) = route.available_wh {
						let u = used.entry((f.seller_zone, f.buyer_zone)).or_default();
						*u += f.quantity_wh;
						prop_assert!(*u <= cap);
					}
					let key = if side == Side::Buy { f.price + f.fee_per_kwh } else { Money::MAX - f.price };
					prop_assert!(key >= last_key, "fills in priority order");
					last_key = key;
				}
				// Unless matching was truncated, no eligible order with a lot of capacity is left
				// untouched while the order still has quantity; `truncated` means exactly that
				// the fill limit stopped it before such an order.
				let mut eligible_left = false;
				if out.remaining_wh > 0 {
					for (i, r) in book.iter().enumerate() {
						if seen.contains(&i) || !crosses(side, price, r.price) { continue; }
						let (sz, bz, bf) = if side == Side::Buy { (r.zone, zone, max_fee) } else { (zone, r.zone, r.max_fee) };
						let Some(route) = three_zones(sz, bz) else { continue };
						if route.fee_per_kwh > bf { continue; }
						let left = route.available_wh.map_or(u64::MAX, |c| c - used.get(&(sz, bz)).copied().unwrap_or(0));
						if left >= lot {
							eligible_left = true;
						}
					}
				}
				prop_assert_eq!(out.truncated, eligible_left);
				if out.truncated {
					prop_assert_eq!(out.fills.len(), max_fills as usize);
				}
			}
		}
	}

	/// Escrow splitting over any sequence of fills never needs more than was held and accounts
	/// for every unit.
	#[test]
	fn hold_splits_account_for_every_unit(
		qty in 1u64..1_000_000,
		limit in 1u128..1_000_000_000,
		max_fee in 0u128..1_000_000,
		fills in prop::collection::vec((1u64..100_000, 0u128..1_000_000_000, 0u128..1_000_000), 1..20),
	) {
		let rate = limit + max_fee;
		let initial = value_of(qty, rate).unwrap();
		let mut held = initial;
		let mut remaining = qty;
		let (mut traded, mut released) = (0u128, 0u128);
		for (q, p, f) in fills {
			let q = q.min(remaining);
			if q == 0 { break; }
			let (p, f) = (p.min(limit), f.min(max_fee));
			let amount = value_of(q, p + f).unwrap();
			remaining -= q;
			let s = split_hold(held, amount, remaining, rate).unwrap();
			prop_assert_eq!(s.to_trade + s.release + s.keep, held);
			traded += s.to_trade;
			released += s.release;
			held = s.keep;
		}
		prop_assert_eq!(traded + released + held, initial);
	}

	/// Settlement pays out exactly the escrow and the collateral.
	#[test]
	fn settlement_conserves(
		qty in 1u64..10_000_000,
		price in 1u128..10_000_000_000,
		fee in 0u128..1_000_000_000,
		imbalance in 0u128..100_000_000_000,
		delivered in 0u64..20_000_000,
	) {
		let t = TradeTerms::new(qty, price, fee, imbalance).unwrap();
		let s = settle(&t, delivered).unwrap();
		prop_assert_eq!(s.escrow_total(), Some(t.escrow));
		prop_assert_eq!(s.collateral_total(), Some(t.collateral));
		prop_assert_eq!(s.delivered_wh + s.undelivered_wh, qty);
		prop_assert_eq!(s.delivered_wh, delivered.min(qty));
	}

	/// Allocation hands out exactly min(production, Σ quantities), never more per trade.
	#[test]
	fn allocation_is_exact(produced in 0u64..10_000, qtys in prop::collection::vec(1u64..1_000, 0..30)) {
		let mut allocated = 0u64;
		for &q in &qtys {
			let d = allocate(produced, allocated, q);
			prop_assert!(d <= q);
			allocated += d;
		}
		prop_assert_eq!(allocated, produced.min(qtys.iter().sum()));
	}
}
