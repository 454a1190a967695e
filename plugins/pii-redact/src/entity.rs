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
    /// An admin-defined type (`custom_entities[i]` of the configuration); its name, rule and
    /// action come from the configuration (`Settings::name`).
    Custom(u8),
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
            EntityType::Custom(_) => "CUSTOM",
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
            EntityType::Custom(_) => "pii.custom",
        }
    }

    /// Dense index (priority order), for per-type tables: 0..COUNT for the built-in types,
    /// then COUNT + i for `Custom(i)`.
    pub fn index(self) -> usize {
        match self {
            EntityType::Custom(i) => COUNT + usize::from(i),
            t => EntityType::ALL
                .iter()
                .position(|&x| x == t)
                .unwrap_or(COUNT),
        }
    }
}

/// A detected value: byte offsets into the scanned `&str` (always on char boundaries).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Match {
    pub kind: EntityType,
    pub start: usize,
    pub end: usize,
}

/// Values found, per [`EntityType::index`] (grows to the largest index counted).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts(Vec<u64>);

impl Counts {
    pub fn add(&mut self, t: EntityType, n: u64) {
        let i = t.index();
        if self.0.len() <= i {
            self.0.resize(i + 1, 0);
        }
        if let Some(c) = self.0.get_mut(i) {
            *c += n;
        }
    }
    pub fn get(&self, t: EntityType) -> u64 {
        self.0.get(t.index()).copied().unwrap_or(0)
    }
    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }
    pub fn merge(&mut self, other: &Counts) {
        if self.0.len() < other.0.len() {
            self.0.resize(other.0.len(), 0);
        }
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a += b;
        }
    }
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
        assert_eq!(EntityType::Custom(0).index(), COUNT);
        assert_eq!(EntityType::from_name("CUSTOM"), None);
        let mut c = Counts::default();
        c.add(EntityType::Custom(2), 3);
        c.add(EntityType::Email, 1);
        assert_eq!(
            (
                c.get(EntityType::Custom(2)),
                c.get(EntityType::Phone),
                c.total()
            ),
            (3, 0, 4)
        );
    }
}
