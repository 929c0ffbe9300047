import { DataTypes, Model, type Sequelize } from 'sequelize';

/** Single-use two-factor recovery codes; only the SHA-256 of each code is stored. */
export class RecoveryCode extends Model {
  declare id: string;
  declare clientId: string;
  declare userId: string;
  declare codeHash: Buffer;
  declare usedAt: Date | null;
  declare createdAt: Date;

  static initModel(sequelize: Sequelize): void {
    RecoveryCode.init(
      {
        id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
        clientId: { type: DataTypes.UUID, allowNull: false },
        userId: { type: DataTypes.UUID, allowNull: false },
        codeHash: { type: DataTypes.BLOB, allowNull: false },
        usedAt: { type: DataTypes.DATE },
      },
      { sequelize, tableName: 'recovery_codes', underscored: true, updatedAt: false },
    );
  }
}
