//! entity: the PII/secret kinds this plugin knows, their config/log names and a found span.

/// How many built-in types there are.
pub const COUNT: usize = 19;

/// One kind of sensitive value. The order is the overlap priority (first wins): secrets and
/// checksummed identifiers before the shapes they could be mistaken for (cards, phones).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntityType {
    Secret,
    CnResidentId,
    Iban,
    ItFiscalCode,
    EsNif,
    FrNir,
    FiHetu,
    KrRrn,
    UkNino,
    BrCpf,
    NlBsn,
    PlPesel,
    InAadhaar,
    DeTaxId,
    CreditCard,
    UsSsn,
    Email,
    IpAddress,
    Phone,
}

impl EntityType {
    /// Every type, in priority order.
    pub const ALL: [EntityType; COUNT] = [
        EntityType::Secret,
        EntityType::CnResidentId,
        EntityType::Iban,
        EntityType::ItFiscalCode,
        EntityType::EsNif,
        EntityType::FrNir,
        EntityType::FiHetu,
        EntityType::KrRrn,
        EntityType::UkNino,
        EntityType::BrCpf,
        EntityType::NlBsn,
        EntityType::PlPesel,
        EntityType::InAadhaar,
        EntityType::DeTaxId,
        EntityType::CreditCard,
        EntityType::UsSsn,
        EntityType::Email,
        EntityType::IpAddress,
        EntityType::Phone,
    ];

    /// The name used in config, logs, placeholders and the eval data (`EMAIL`, `US_SSN`, ...).
    pub fn name(self) -> &'static str {
        match self {
            EntityType::Secret => "SECRET",
            EntityType::CnResidentId => "CN_RESIDENT_ID",
            EntityType::Iban => "IBAN",
            EntityType::ItFiscalCode => "IT_FISCAL_CODE",
            EntityType::EsNif => "ES_NIF",
            EntityType::FrNir => "FR_NIR",
            EntityType::FiHetu => "FI_HETU",
            EntityType::KrRrn => "KR_RRN",
            EntityType::UkNino => "UK_NINO",
            EntityType::BrCpf => "BR_CPF",
            EntityType::NlBsn => "NL_BSN",
            EntityType::PlPesel => "PL_PESEL",
            EntityType::InAadhaar => "IN_AADHAAR",
            EntityType::DeTaxId => "DE_TAX_ID",
            EntityType::CreditCard => "CREDIT_CARD",
            EntityType::UsSsn => "US_SSN",
            EntityType::Email => "EMAIL",
            EntityType::IpAddress => "IP_ADDRESS",
            EntityType::Phone => "PHONE",
        }
    }

    /// Inverse of [`EntityType::name`].
    pub fn from_name(name: &str) -> Option<EntityType> {
        EntityType::ALL.into_iter().find(|t| t.name() == name)
    }

    /// Rule id in verdicts and metrics (`pii.email`, `pii.credit_card`, ...).
    pub fn rule(self) -> &'static str {
        match self {
            EntityType::Secret => "pii.secret",
            EntityType::CnResidentId => "pii.cn_resident_id",
            EntityType::Iban => "pii.iban",
            EntityType::ItFiscalCode => "pii.it_fiscal_code",
            EntityType::EsNif => "pii.es_nif",
            EntityType::FrNir => "pii.fr_nir",
            EntityType::FiHetu => "pii.fi_hetu",
            EntityType::KrRrn => "pii.kr_rrn",
            EntityType::UkNino => "pii.uk_nino",
            EntityType::BrCpf => "pii.br_cpf",
            EntityType::NlBsn => "pii.nl_bsn",
            EntityType::PlPesel => "pii.pl_pesel",
            EntityType::InAadhaar => "pii.in_aadhaar",
            EntityType::DeTaxId => "pii.de_tax_id",
            EntityType::CreditCard => "pii.credit_card",
            EntityType::UsSsn => "pii.us_ssn",
            EntityType::Email => "pii.email",
            EntityType::IpAddress => "pii.ip_address",
            EntityType::Phone => "pii.phone",
        }
    }

    /// Dense index 0..COUNT (priority order), for per-type tables.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// A detected value: byte offsets into the scanned `&str` (always on char boundaries).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Match {
    pub kind: EntityType,
    pub start: usize,
    pub end: usize,
}

/// A span found by one detector (the detector knows its own kind).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_index_is_dense() {
        for (i, t) in EntityType::ALL.into_iter().enumerate() {
            assert_eq!(EntityType::from_name(t.name()), Some(t));
            assert_eq!(t.index(), i);
            assert!(t.rule().starts_with("pii."));
        }
        assert_eq!(EntityType::from_name("email"), None);
    }
}
