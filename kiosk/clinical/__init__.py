"""Clinical reference data and checks, without Qt: vital-sign ranges by age, lab reference ranges, facility
names for codes, and the dates a doctor types. The doctor's room and the paper read them; nothing here touches
the store or the network."""
