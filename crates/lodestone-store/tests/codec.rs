//! Property tests of the record codec and key encodings.

use lodestone_model::{Citation, Currency, Decimal, Money, PartialDate, Props, Quantity, Value};
use lodestone_store::codec::{
    bucket_lookup, decode_block, decode_bucket, decode_edge, decode_node, encode_block, encode_bucket, encode_edge,
    encode_node, id_key,
};
use proptest::prelude::*;

fn decimal() -> impl Strategy<Value = Decimal> {
    (any::<i64>(), 0u32..=28).prop_map(|(m, s)| Decimal::from_i128_with_scale(i128::from(m), s))
}

fn date() -> impl Strategy<Value = PartialDate> {
    prop_oneof![
        (-9999i32..9999).prop_map(PartialDate::year),
        (-9999i32..9999, 1u8..=12).prop_map(|(y, m)| PartialDate::month(y, m).unwrap()),
        (-9999i32..9999, 1u8..=12, 1u8..=28).prop_map(|(y, m, d)| PartialDate::day(y, m, d).unwrap()),
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        any::<f64>().prop_map(Value::Float),
        ".{0,12}".prop_map(Value::String),
        date().prop_map(Value::Date),
        (decimal(), "[A-Z]{3}").prop_map(|(amount, currency)| Value::Money(Money {
            amount,
            currency: Currency::new(&currency).unwrap()
        })),
        decimal().prop_map(Value::Percent),
        (decimal(), ".{0,5}").prop_map(|(amount, unit)| Value::Quantity(Quantity { amount, unit })),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::List),
            prop::collection::btree_map(".{0,6}", inner, 0..6).prop_map(Value::Map),
        ]
    })
}

fn props() -> impl Strategy<Value = Props> {
    prop::collection::btree_map("[a-z_]{1,8}", value(), 0..6)
}

fn citations() -> impl Strategy<Value = Vec<Citation>> {
    prop::collection::vec(
        (
            ".{0,10}",
            proptest::option::of(any::<u32>()),
            proptest::option::of(".{0,10}"),
        )
            .prop_map(|(source, line, note)| Citation { source, line, note }),
        0..3,
    )
}

/// Equality that treats NaN as equal to itself, bit for bit.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => x.to_bits() == y.to_bits(),
        (Value::List(x), Value::List(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q)),
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|((k1, v1), (k2, v2))| k1 == k2 && same(v1, v2))
        }
        (Value::Money(x), Value::Money(y)) => x.currency == y.currency && x.amount.serialize() == y.amount.serialize(),
        (Value::Percent(x), Value::Percent(y)) => x.serialize() == y.serialize(),
        (Value::Quantity(x), Value::Quantity(y)) => x.unit == y.unit && x.amount.serialize() == y.amount.serialize(),
        _ => a == b,
    }
}

proptest! {
    #[test]
    fn node_records_round_trip(labels in prop::collection::vec(any::<u32>(), 0..4), p in props(), c in citations()) {
        let bytes = encode_node(&labels, &p, &c).unwrap();
        let (l2, p2, c2) = decode_node(&bytes).unwrap();
        prop_assert_eq!(l2, labels);
        prop_assert_eq!(c2, c);
        prop_assert_eq!(p2.len(), p.len());
        for ((k1, v1), (k2, v2)) in p.iter().zip(&p2) {
            prop_assert_eq!(k1, k2);
            prop_assert!(same(v1, v2), "{:?} != {:?}", v1, v2);
        }
    }

    #[test]
    fn edge_records_round_trip(ty in any::<u32>(), s in any::<u64>(), e in any::<u64>(), p in props()) {
        let bytes = encode_edge(ty, s, e, &p, &[]).unwrap();
        let (t2, s2, e2, p2, _) = decode_edge(&bytes).unwrap();
        prop_assert_eq!((t2, s2, e2), (ty, s, e));
        prop_assert_eq!(p2.len(), p.len());
    }

    #[test]
    fn id_keys_sort_like_ids(a in any::<u64>(), b in any::<u64>()) {
        prop_assert_eq!(a.cmp(&b), id_key(a).cmp(&id_key(b)));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = decode_node(&bytes);
        let _ = decode_edge(&bytes);
        let _ = decode_block(&bytes);
        let _ = decode_bucket(&bytes);
        let _ = bucket_lookup(&bytes, b"k");
        let mut versioned = vec![1u8];
        versioned.extend_from_slice(&bytes);
        let _ = decode_node(&versioned);
        let _ = decode_edge(&versioned);
        let _ = decode_block(&versioned);
        let _ = decode_bucket(&versioned);
        // A lookup accepts exactly the buckets a decode accepts.
        prop_assert_eq!(bucket_lookup(&versioned, b"k").is_ok(), decode_bucket(&versioned).is_ok());
    }

    #[test]
    fn blocks_and_buckets_round_trip(
        recs in prop::collection::btree_map(0u8..64, prop::collection::vec(any::<u8>(), 0..40), 0..10),
        entries in prop::collection::vec((prop::collection::vec(any::<u8>(), 0..12), any::<u64>()), 0..10),
    ) {
        let list: Vec<(u8, Vec<u8>)> = recs.into_iter().collect();
        let bytes = encode_block(&list);
        let back: Vec<(u8, Vec<u8>)> = decode_block(&bytes).unwrap().into_iter().map(|(s, r)| (s, r.to_vec())).collect();
        prop_assert_eq!(back, list);
        let b = encode_bucket(&entries);
        prop_assert_eq!(&decode_bucket(&b).unwrap(), &entries);
        // A lookup finds what filtering the decoded entries finds, for present and absent keys.
        for key in entries.iter().map(|(k, _)| k.clone()).chain([vec![0xFF; 13]]) {
            let want: Vec<u64> = entries.iter().filter(|(k, _)| *k == key).map(|(_, id)| *id).collect();
            prop_assert_eq!(bucket_lookup(&b, &key).unwrap(), want);
        }
    }
}
